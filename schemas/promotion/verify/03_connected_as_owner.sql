-- Migrations ran as the service's own role ${role}, which owns what they created.
SELECT pg_get_userbyid(relowner) = current_user
FROM pg_class
WHERE oid = to_regclass('${schema}.promo_codes');
