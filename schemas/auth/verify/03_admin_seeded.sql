-- At least one administrator exists in ${database}.
SELECT count(*) > 0 FROM ${schema}.users WHERE role = 'admin' AND is_active;
