-- Case-insensitive email uniqueness is enforced by an index, not by application code.
SELECT coalesce((SELECT indisunique
                 FROM pg_index
                 WHERE indexrelid = to_regclass('${schema}.users_email_lower_key')), false);
