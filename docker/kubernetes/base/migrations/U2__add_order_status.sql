-- Undo of V2, used only by `schemagate undo`.
ALTER TABLE ${schema}.orders DROP COLUMN status;
