-- Profiles for the demo customers.
INSERT INTO ${schema}.user_profiles (user_id, display_name, locale, time_zone, marketing_opt_in)
VALUES ('00000000-0000-4000-8000-000000000003', 'Alice', 'en-GB', 'Europe/London', true),
       ('00000000-0000-4000-8000-000000000004', 'Bob',   'de-DE', 'Europe/Berlin', false)
ON CONFLICT DO NOTHING;
