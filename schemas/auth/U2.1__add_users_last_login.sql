-- Undo of V2.1: drop the last-login column and its index.
DROP INDEX IF EXISTS ${schema}.users_last_login_at_idx;
ALTER TABLE ${schema}.users DROP COLUMN IF EXISTS last_login_at;
