-- Database roles for a PostgreSQL server, run once by an administrator
-- (a superuser, or a role with CREATEROLE that owns the database):
--
--   psql -d ecom -v pipeline_role=ecom_pipeline -v pipeline_password='...' \
--        -v reader_role=bi_reader -v reader_password='...' -f sql/admin/roles.sql
--
-- pipeline_role: what the pipeline connects as (DATABASE_URL). It may create
--   schemas in this database and so owns everything the pipeline creates
--   (staging, production, warehouse, ops, util, bi); it is not a superuser and
--   cannot create databases or roles.
-- reader_role: the read-only reporting role (Power BI); the warehouse step
--   grants it SELECT on the bi views and nothing else.
-- Safe to re-run: existing roles get the given passwords again.
\set ON_ERROR_STOP on

SELECT format('CREATE ROLE %I', :'pipeline_role')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'pipeline_role') \gexec
ALTER ROLE :"pipeline_role" WITH LOGIN PASSWORD :'pipeline_password'
  NOSUPERUSER NOCREATEDB NOCREATEROLE;
GRANT CONNECT, CREATE, TEMPORARY ON DATABASE :"DBNAME" TO :"pipeline_role";

SELECT format('CREATE ROLE %I', :'reader_role')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'reader_role') \gexec
ALTER ROLE :"reader_role" WITH LOGIN PASSWORD :'reader_password'
  NOSUPERUSER NOCREATEDB NOCREATEROLE;
GRANT CONNECT ON DATABASE :"DBNAME" TO :"reader_role";
