-- Campaigns group codes for reporting and budgets; a code may belong to one campaign.
CREATE TABLE ${schema}.promotion_campaigns (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         text        NOT NULL UNIQUE,
    description  text        NOT NULL DEFAULT '',
    budget_cents bigint      CHECK (budget_cents >= 0),
    starts_at    timestamptz NOT NULL,
    ends_at      timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at IS NULL OR ends_at > starts_at)
);

ALTER TABLE ${schema}.promo_codes
    ADD COLUMN campaign_id bigint REFERENCES ${schema}.promotion_campaigns (id) ON DELETE SET NULL;

CREATE INDEX promo_codes_campaign_id_idx ON ${schema}.promo_codes (campaign_id)
    WHERE campaign_id IS NOT NULL;
