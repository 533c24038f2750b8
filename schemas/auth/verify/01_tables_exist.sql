-- The service's tables are where the service will look for them.
SELECT to_regclass('${schema}.users') IS NOT NULL
   AND to_regclass('${schema}.user_sessions') IS NOT NULL
   AND to_regclass('${schema}.user_profiles') IS NOT NULL;
