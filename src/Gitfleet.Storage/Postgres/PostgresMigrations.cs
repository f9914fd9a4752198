using Gitfleet.Storage.Sql;

namespace Gitfleet.Storage.Postgres;

/// <summary>
/// What only the PostgreSQL engine needs beside the shared schema: the leader lease, the shared secrets and the
/// change feed. Versions 1000 and up (shared migrations count from 1). Append only, like the shared list.
/// </summary>
/// <remarks>
/// The change feed is written by triggers, in the same transaction as the change, whoever writes it (any replica,
/// any code path, even an operator's SQL), so a committed change is never missing from it. Every trigger first
/// takes the cluster write lock (<see cref="PostgresFleetStore.WriteLockKey"/>, which store writers hold already),
/// so change numbers are assigned in commit order and a reader never skips a change that commits late.
/// A notification wakes the replicas; identical notifications of one transaction are folded into one.
/// Migration 1002 turns the stored maps into jsonb after the shared migrations that created them; a later shared
/// migration that touches those columns must write SQL that holds for TEXT (SQLite) and jsonb (PostgreSQL) alike.
/// </remarks>
public static class PostgresMigrations
{
    public static readonly IReadOnlyList<Migration> All =
    [
        new(1001, "cluster: leader lease, shared secrets, change feed", $$"""
            CREATE TABLE leader_lease (
                name TEXT PRIMARY KEY,
                holder TEXT NULL,
                token BIGINT NOT NULL,
                acquired_at TIMESTAMPTZ NULL,
                expires_at TIMESTAMPTZ NULL
            );

            CREATE TABLE cluster_secrets (
                name TEXT PRIMARY KEY,
                value TEXT NOT NULL,
                created_at TIMESTAMPTZ NOT NULL DEFAULT now()
            );

            -- The leader's latest status of each branch, for the replicas that serve status requests without deciding.
            CREATE TABLE branch_status (
                branch TEXT PRIMARY KEY,
                status_json TEXT NOT NULL,
                updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
            );

            CREATE TABLE change_log (
                seq BIGSERIAL PRIMARY KEY,
                kind TEXT NOT NULL,
                key TEXT NOT NULL,
                created_at TIMESTAMPTZ NOT NULL DEFAULT now()
            );
            CREATE INDEX ix_change_log_created ON change_log (created_at);

            CREATE TABLE change_log_state (
                id INTEGER PRIMARY KEY,
                pruned_through BIGINT NOT NULL
            );
            INSERT INTO change_log_state (id, pruned_through) VALUES (1, 0);

            CREATE FUNCTION gitfleet_change(p_kind TEXT, p_key TEXT) RETURNS void LANGUAGE plpgsql AS $f$
            BEGIN
                PERFORM pg_advisory_xact_lock({{PostgresFleetStore.WriteLockKey}});
                INSERT INTO change_log (kind, key) VALUES (p_kind, p_key);
                PERFORM pg_notify('{{PostgresChangeFeed.Channel}}', '');
            END
            $f$;

            -- A row trigger for one kind of change: TG_ARGV[0] is the kind, TG_ARGV[1] the column that is its key.
            CREATE FUNCTION gitfleet_row_changed() RETURNS trigger LANGUAGE plpgsql AS $f$
            BEGIN
                IF TG_OP = 'DELETE' THEN
                    PERFORM gitfleet_change(TG_ARGV[0], to_jsonb(OLD) ->> TG_ARGV[1]);
                ELSE
                    PERFORM gitfleet_change(TG_ARGV[0], to_jsonb(NEW) ->> TG_ARGV[1]);
                END IF;
                RETURN NULL;
            END
            $f$;

            CREATE TRIGGER devices_inserted_or_deleted AFTER INSERT OR DELETE ON devices
                FOR EACH ROW EXECUTE FUNCTION gitfleet_row_changed('device', 'id');
            CREATE TRIGGER devices_status_changed AFTER UPDATE OF status ON devices
                FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION gitfleet_row_changed('device', 'id');
            CREATE TRIGGER device_deployments_finished AFTER UPDATE OF finished ON device_deployments
                FOR EACH ROW WHEN (OLD.finished IS DISTINCT FROM NEW.finished) EXECUTE FUNCTION gitfleet_row_changed('pending', 'device_id');
            CREATE TRIGGER access_tokens_changed AFTER INSERT OR DELETE ON access_tokens
                FOR EACH ROW EXECUTE FUNCTION gitfleet_row_changed('token', 'id');
            CREATE TRIGGER revoked_tokens_inserted AFTER INSERT ON revoked_tokens
                FOR EACH ROW EXECUTE FUNCTION gitfleet_row_changed('revoked', 'id');
            CREATE TRIGGER reconcile_targets_changed AFTER INSERT OR UPDATE ON reconcile_targets
                FOR EACH ROW EXECUTE FUNCTION gitfleet_row_changed('target', 'branch');
            CREATE TRIGGER branch_status_changed AFTER INSERT OR UPDATE ON branch_status
                FOR EACH ROW EXECUTE FUNCTION gitfleet_row_changed('status', 'branch');
            CREATE TRIGGER reconcile_branches_changed AFTER INSERT OR UPDATE ON reconcile_branches
                FOR EACH ROW EXECUTE FUNCTION gitfleet_row_changed('branch', 'branch');

            -- New deployments arrive by the hundred thousand: one statement-level insert per statement (COPY included).
            CREATE FUNCTION gitfleet_deployments_inserted() RETURNS trigger LANGUAGE plpgsql AS $f$
            BEGIN
                PERFORM pg_advisory_xact_lock({{PostgresFleetStore.WriteLockKey}});
                INSERT INTO change_log (kind, key) SELECT DISTINCT 'pending', device_id FROM inserted WHERE finished = 0;
                IF FOUND THEN
                    PERFORM pg_notify('{{PostgresChangeFeed.Channel}}', '');
                END IF;
                RETURN NULL;
            END
            $f$;
            CREATE TRIGGER device_deployments_inserted AFTER INSERT ON device_deployments
                REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION gitfleet_deployments_inserted();
            """),
        new(1002, "maps as jsonb: device identities, attribute values, configured and reported configurations, deployment configurations, artifact metadata", """
            ALTER TABLE devices ALTER COLUMN identity_json TYPE jsonb USING identity_json::jsonb;
            ALTER TABLE attributes ALTER COLUMN value_json TYPE jsonb USING value_json::jsonb;
            ALTER TABLE configurations ALTER COLUMN configured_json TYPE jsonb USING configured_json::jsonb,
                ALTER COLUMN reported_json TYPE jsonb USING reported_json::jsonb;
            ALTER TABLE deployments ALTER COLUMN configuration_json TYPE jsonb USING configuration_json::jsonb;
            ALTER TABLE artifacts ALTER COLUMN metadata_json TYPE jsonb USING metadata_json::jsonb;
            -- Attribute search (the dashboard, device filters) compares whole values: jsonb = jsonb, served by the
            -- (scope, name, value_json) btree that the type change rebuilds. No GIN index: no query asks for containment.
            """),
        new(1003, "leader lease: the fencing token in a unique key, so a renewal does not wait for the leader's own fenced writes", """
            -- The leader's writes lock the lease row FOR KEY SHARE. An UPDATE that changes a unique key's column (a
            -- takeover: token + 1) waits for them; one that changes only the expiry (a renewal) does not.
            CREATE UNIQUE INDEX ix_leader_lease_term ON leader_lease (name, token);
            """),
        new(1004, "change feed: inventory digests and auth sets, so replicas may serve them from memory", """
            -- A replica answers an unchanged inventory PUT and a known device's auth request from memory once it has
            -- applied every change up to the feed's head; these are the changes that make what it holds stale. Only a
            -- digest that differs writes a change (a reconnecting device's unchanged PUT stores nothing at all).
            CREATE TRIGGER devices_inventory_changed AFTER UPDATE OF inventory_hash ON devices
                FOR EACH ROW WHEN (OLD.inventory_hash IS DISTINCT FROM NEW.inventory_hash) EXECUTE FUNCTION gitfleet_row_changed('inventory', 'id');
            CREATE TRIGGER auth_sets_inserted_or_deleted AFTER INSERT OR DELETE ON auth_sets
                FOR EACH ROW EXECUTE FUNCTION gitfleet_row_changed('authset', 'device_id');
            CREATE TRIGGER auth_sets_status_changed AFTER UPDATE OF status, pubkey, device_id ON auth_sets
                FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.pubkey IS DISTINCT FROM NEW.pubkey OR OLD.device_id IS DISTINCT FROM NEW.device_id)
                EXECUTE FUNCTION gitfleet_row_changed('authset', 'device_id');
            """),
    ];
}
