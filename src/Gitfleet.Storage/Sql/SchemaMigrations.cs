namespace Gitfleet.Storage.Sql;

/// <summary>
/// A numbered schema change. Applied in order, each in its own transaction, recorded in schema_migrations. A data
/// change that SQL cannot express portably adds <see cref="Code"/>, run after the SQL in the same transaction.
/// </summary>
public sealed record Migration(int Version, string Description, string Sql)
{
    public Func<System.Data.Common.DbConnection, System.Data.Common.DbTransaction, CancellationToken, Task>? Code { get; init; }
}

/// <summary>
/// The schema, as portable SQL (TEXT, BIGINT, INTEGER; timestamps are Unix milliseconds, maps are JSON text) that
/// SQLite and PostgreSQL both accept. Never edit a released migration: add a new one.
/// </summary>
public static class SchemaMigrations
{
    public static readonly IReadOnlyList<Migration> All =
    [
        new(1, "devices, auth sets, inventory, users, artifacts, deployments, configuration", """
            CREATE TABLE devices (
                id TEXT PRIMARY KEY,
                status TEXT NOT NULL,
                identity_json TEXT NOT NULL,
                identity_key TEXT NOT NULL UNIQUE,
                device_type TEXT NULL,
                artifact_name TEXT NULL,
                group_name TEXT NULL,
                created_ms BIGINT NOT NULL,
                updated_ms BIGINT NOT NULL,
                last_checkin_ms BIGINT NULL
            );
            CREATE INDEX ix_devices_status ON devices (status);
            CREATE INDEX ix_devices_group ON devices (group_name);

            CREATE TABLE auth_sets (
                id TEXT PRIMARY KEY,
                device_id TEXT NOT NULL,
                pubkey TEXT NOT NULL,
                status TEXT NOT NULL,
                created_ms BIGINT NOT NULL
            );
            CREATE UNIQUE INDEX ix_auth_sets_device_key ON auth_sets (device_id, pubkey);

            CREATE TABLE attributes (
                device_id TEXT NOT NULL,
                scope TEXT NOT NULL,
                name TEXT NOT NULL,
                value_json TEXT NOT NULL,
                updated_ms BIGINT NOT NULL,
                PRIMARY KEY (device_id, scope, name)
            );
            CREATE INDEX ix_attributes_lookup ON attributes (scope, name, value_json);

            CREATE TABLE users (
                id TEXT PRIMARY KEY,
                email TEXT NOT NULL UNIQUE,
                password_hash TEXT NOT NULL,
                created_ms BIGINT NOT NULL
            );

            CREATE TABLE access_tokens (
                id TEXT PRIMARY KEY,
                user_id TEXT NOT NULL,
                name TEXT NOT NULL,
                expires_ms BIGINT NOT NULL,
                created_ms BIGINT NOT NULL
            );

            CREATE TABLE artifacts (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                description TEXT NOT NULL,
                device_types_json TEXT NOT NULL,
                metadata_json TEXT NOT NULL,
                size BIGINT NOT NULL,
                checksum TEXT NULL,
                signed INTEGER NOT NULL,
                file_name TEXT NOT NULL,
                generated INTEGER NOT NULL,
                created_ms BIGINT NOT NULL
            );
            CREATE INDEX ix_artifacts_name ON artifacts (name);

            CREATE TABLE deployments (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                artifact_name TEXT NOT NULL,
                kind TEXT NOT NULL,
                status TEXT NOT NULL,
                created_ms BIGINT NOT NULL,
                finished_ms BIGINT NULL,
                device_count INTEGER NOT NULL,
                retries INTEGER NOT NULL,
                group_name TEXT NULL,
                trace_branch TEXT NULL,
                trace_commit TEXT NULL,
                trace_author TEXT NULL,
                trace_subject TEXT NULL,
                idempotency_key TEXT NULL UNIQUE,
                artifact_id TEXT NULL,
                configuration_json TEXT NULL,
                configuration_checksum TEXT NULL,
                seq BIGINT NOT NULL
            );
            CREATE INDEX ix_deployments_status_created ON deployments (status, created_ms);
            CREATE INDEX ix_deployments_created ON deployments (created_ms);

            CREATE TABLE device_deployments (
                id TEXT PRIMARY KEY,
                deployment_id TEXT NOT NULL,
                device_id TEXT NOT NULL,
                status TEXT NOT NULL,
                finished INTEGER NOT NULL,
                created_ms BIGINT NOT NULL,
                started_ms BIGINT NULL,
                finished_ms BIGINT NULL,
                updated_ms BIGINT NULL,
                attempts INTEGER NOT NULL,
                device_type TEXT NULL,
                artifact_id TEXT NULL,
                has_log INTEGER NOT NULL,
                substate TEXT NULL,
                seq BIGINT NOT NULL,
                UNIQUE (deployment_id, device_id)
            );
            CREATE INDEX ix_device_deployments_device ON device_deployments (device_id, finished, seq);
            CREATE INDEX ix_device_deployments_deployment_status ON device_deployments (deployment_id, status);

            CREATE TABLE deployment_logs (
                device_deployment_id TEXT PRIMARY KEY,
                messages_json TEXT NOT NULL,
                created_ms BIGINT NOT NULL
            );

            CREATE TABLE configurations (
                device_id TEXT PRIMARY KEY,
                configured_json TEXT NULL,
                configured_ms BIGINT NULL,
                reported_json TEXT NULL,
                reported_ms BIGINT NULL,
                deployment_id TEXT NULL
            );
            """),
        new(2, "reconcile: branch targets, rollout progress and devices; unfinished-deployment index; secret keys; reported checksums", """
            CREATE TABLE reconcile_targets (
                branch TEXT PRIMARY KEY,
                generation BIGINT NOT NULL,
                target_json TEXT NOT NULL
            );

            CREATE TABLE reconcile_branches (
                branch TEXT PRIMARY KEY,
                target_generation BIGINT NOT NULL,
                commit_sha TEXT NULL,
                commit_author TEXT NULL,
                commit_subject TEXT NULL,
                commit_ms BIGINT NULL,
                content_hash TEXT NULL,
                target_digest TEXT NULL,
                applied_ms BIGINT NULL,
                last_seen_commit TEXT NULL,
                errors_json TEXT NULL,
                rollout_generation BIGINT NOT NULL,
                wave INTEGER NOT NULL,
                wave_completed_ms BIGINT NULL,
                paused INTEGER NOT NULL,
                pause_reason TEXT NULL,
                acknowledged_failures INTEGER NOT NULL,
                aborted INTEGER NOT NULL,
                started_ms BIGINT NULL,
                completed_ms BIGINT NULL,
                updated_ms BIGINT NOT NULL
            );

            CREATE TABLE rollout_devices (
                branch TEXT NOT NULL,
                device_id TEXT NOT NULL,
                state TEXT NOT NULL,
                attempts INTEGER NOT NULL,
                deployments TEXT NULL,
                last_error TEXT NULL,
                changed_ms BIGINT NOT NULL,
                PRIMARY KEY (branch, device_id)
            );

            CREATE INDEX ix_device_deployments_unfinished ON device_deployments (device_id, seq) WHERE finished = 0;
            CREATE INDEX ix_device_deployments_updated ON device_deployments (updated_ms);
            CREATE INDEX ix_devices_updated ON devices (updated_ms);

            ALTER TABLE deployments ADD COLUMN secret_keys_json TEXT NULL;
            ALTER TABLE configurations ADD COLUMN reported_checksum TEXT NULL;
            CREATE INDEX ix_configurations_reported ON configurations (reported_ms);
            """),
        new(3, "mend JSON text stored before text was checked at the edge (lone surrogate and NUL escapes become U+FFFD)", "")
        {
            Code = async (connection, transaction, cancellationToken) =>
                await StoredTextRepair.RepairStoreAsync(connection, transaction, cancellationToken).ConfigureAwait(false),
        },
        new(4, "roles of users and personal access tokens (existing ones are admin); login sessions revoked by logout", """
            ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'admin';
            ALTER TABLE access_tokens ADD COLUMN role TEXT NOT NULL DEFAULT 'admin';
            CREATE TABLE revoked_tokens (
                id TEXT PRIMARY KEY,
                expires_ms BIGINT NOT NULL
            );
            """),
        new(5, "devices: a digest of the last inventory PUT, so an unchanged inventory writes nothing", """
            ALTER TABLE devices ADD COLUMN inventory_hash TEXT NULL;
            """),
        new(6, "dashboard: branch membership for device search, search indexes; notification deliveries", """
            CREATE TABLE branch_members (
                device_id TEXT PRIMARY KEY,
                branch TEXT NOT NULL
            );
            CREATE INDEX ix_branch_members_branch ON branch_members (branch, device_id);
            CREATE INDEX ix_devices_type ON devices (device_type, id);
            CREATE INDEX ix_rollout_devices_state ON rollout_devices (state, device_id);
            CREATE INDEX ix_rollout_devices_device ON rollout_devices (device_id);

            CREATE TABLE notification_deliveries (
                id TEXT PRIMARY KEY,
                endpoint TEXT NOT NULL,
                event_type TEXT NOT NULL,
                payload TEXT NOT NULL,
                status TEXT NOT NULL,
                attempts INTEGER NOT NULL,
                created_ms BIGINT NOT NULL,
                next_attempt_ms BIGINT NOT NULL,
                last_attempt_ms BIGINT NULL,
                last_status_code INTEGER NULL,
                last_error TEXT NULL,
                seq BIGINT NOT NULL
            );
            CREATE INDEX ix_notification_deliveries_due ON notification_deliveries (status, next_attempt_ms);
            CREATE INDEX ix_notification_deliveries_seq ON notification_deliveries (seq);
            """),
        new(7, "operator scopes of users (branches, groups); audit log", """
            ALTER TABLE users ADD COLUMN scopes_json TEXT NULL;
            CREATE TABLE audit_log (
                id TEXT PRIMARY KEY,
                at_ms BIGINT NOT NULL,
                actor TEXT NOT NULL,
                user_id TEXT NULL,
                token_kind TEXT NULL,
                token_id TEXT NULL,
                role TEXT NULL,
                via TEXT NOT NULL,
                action TEXT NOT NULL,
                target TEXT NOT NULL,
                address TEXT NULL,
                status INTEGER NOT NULL,
                result TEXT NOT NULL,
                seq BIGINT NOT NULL
            );
            CREATE INDEX ix_audit_log_seq ON audit_log (seq);
            """),
        new(8, "rollout rules: bulk completion, abort-rule acknowledgements, reverts and each branch's last good target", """
            ALTER TABLE reconcile_branches ADD COLUMN bulk_completed_ms BIGINT NULL;
            ALTER TABLE reconcile_branches ADD COLUMN revert_requested INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE reconcile_branches ADD COLUMN acknowledged_wave INTEGER NOT NULL DEFAULT -1;
            ALTER TABLE reconcile_branches ADD COLUMN acknowledged_failed INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE reconcile_branches ADD COLUMN acknowledged_timed_out INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE reconcile_branches ADD COLUMN acknowledged_rejected INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE reconcile_branches ADD COLUMN reverted_commit TEXT NULL;
            CREATE TABLE reconcile_good_targets (
                branch TEXT PRIMARY KEY,
                generation BIGINT NOT NULL,
                commit_sha TEXT NOT NULL,
                target_json TEXT NOT NULL,
                saved_ms BIGINT NOT NULL
            );
            """),
        new(9, "delta artifacts per (base, target, device type) and the offers made with them", """
            CREATE TABLE deltas (
                id TEXT PRIMARY KEY,
                base_artifact_id TEXT NOT NULL,
                target_artifact_id TEXT NOT NULL,
                device_type TEXT NOT NULL,
                state TEXT NOT NULL,
                format TEXT NOT NULL,
                base_image TEXT NOT NULL,
                target_image TEXT NOT NULL,
                file_name TEXT NULL,
                size BIGINT NULL,
                checksum TEXT NULL,
                target_size BIGINT NOT NULL,
                error TEXT NULL,
                claimed_by TEXT NULL,
                claimed_ms BIGINT NOT NULL,
                finished_ms BIGINT NULL,
                generation_ms BIGINT NULL
            );
            CREATE UNIQUE INDEX ix_deltas_pair ON deltas (base_artifact_id, target_artifact_id, device_type);

            CREATE TABLE delta_offers (
                device_deployment_id TEXT NOT NULL,
                attempt INTEGER NOT NULL,
                device_id TEXT NOT NULL,
                delta_id TEXT NOT NULL,
                offered_ms BIGINT NOT NULL,
                PRIMARY KEY (device_deployment_id, attempt)
            );
            CREATE INDEX ix_delta_offers_device ON delta_offers (device_id, delta_id);
            """),
        new(10, "device search: every filter's index lists its devices in id order (keyset pages walk one and probe the others)", """
            CREATE INDEX ix_attributes_value_device ON attributes (scope, name, value_json, device_id);
            DROP INDEX ix_attributes_lookup;
            CREATE INDEX ix_devices_status_id ON devices (status, id);
            DROP INDEX ix_devices_status;
            CREATE INDEX ix_devices_group_id ON devices (group_name, id);
            DROP INDEX ix_devices_group;
            CREATE INDEX ix_rollout_devices_failed ON rollout_devices (device_id) WHERE last_error IS NOT NULL;
            """),
        new(11, "generated configuration artifacts are removed once their deployment finished: the sweep's two indexes", """
            CREATE INDEX ix_artifacts_generated ON artifacts (created_ms) WHERE generated = 1;
            CREATE INDEX ix_deployments_artifact_name ON deployments (artifact_name);
            """),
    ];
}
