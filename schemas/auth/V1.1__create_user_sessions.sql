-- Server-side sessions. Only a hash of the session token is stored.
CREATE TABLE ${schema}.user_sessions (
    id         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id    uuid        NOT NULL REFERENCES ${schema}.users (id) ON DELETE CASCADE,
    token_hash bytea       NOT NULL UNIQUE,
    user_agent text,
    client_ip  inet,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz,
    CHECK (expires_at > created_at)
);

CREATE INDEX user_sessions_user_id_idx ON ${schema}.user_sessions (user_id);
-- The sweeper only looks at live sessions.
CREATE INDEX user_sessions_live_expiry_idx ON ${schema}.user_sessions (expires_at)
    WHERE revoked_at IS NULL;
