-- Track the last successful login, for dormant-account reports.
ALTER TABLE ${schema}.users ADD COLUMN last_login_at timestamptz;

CREATE INDEX users_last_login_at_idx ON ${schema}.users (last_login_at)
    WHERE last_login_at IS NOT NULL;
