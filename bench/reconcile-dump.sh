#!/usr/bin/env bash
# bench/reconcile-dump.sh DB OUT: what a rollout decision wrote (deployments, device rows, configured maps, rollout devices, the branch and its target), without ids and timestamps, sorted: compare the stores two builds leave after bench/reconcile.sh (run with GITFLEET_TIMINGS, see docs/benchmarks.md).
db=$1; out=$2
nice -n 19 sqlite3 -readonly "$db" >"$out.tmp" <<'SQL'
.mode tabs
select 'D', replace(name, id, 'ID'), replace(artifact_name, id, 'ID'), kind, status, device_count, retries, group_name, trace_branch, trace_commit, trace_author, trace_subject, artifact_id, configuration_json, configuration_checksum, secret_keys_json, finished_ms is null from deployments;
select 'DD', d.kind, replace(d.artifact_name, d.id, 'ID'), d.configuration_checksum, dd.device_id, dd.status, dd.finished, dd.attempts, dd.device_type, dd.artifact_id, dd.has_log, dd.substate, dd.started_ms is null, dd.finished_ms is null, dd.created_ms = d.created_ms from device_deployments dd join deployments d on d.id = dd.deployment_id;
select 'C', c.device_id, c.configured_json, c.reported_json, c.reported_checksum, d.configuration_checksum, d.kind from configurations c left join deployments d on d.id = c.deployment_id;
select 'R', r.branch, r.device_id, r.state, r.attempts, r.last_error, length(r.deployments) - length(replace(r.deployments, ',', '')), (select group_concat(k, ',') from (select d.kind || ':' || coalesce(d.configuration_checksum, d.artifact_name) k from device_deployments dd join deployments d on d.id = dd.deployment_id where dd.device_id = r.device_id and instr(r.deployments, dd.deployment_id) > 0 order by k)) from rollout_devices r;
select 'B', branch, target_generation, commit_sha, rollout_generation, wave, paused, pause_reason, acknowledged_failures, aborted, completed_ms is null from reconcile_branches;
select 'T', branch, generation, length(target_json), hex(sha3(target_json)) from reconcile_targets;
SQL
# A configuration deployment's artifact is named after its checksum and the first 8 characters of its id.
sed -E 's/(configuration-[0-9a-f]{12})-[0-9a-f]{8}/\1-ID/g' "$out.tmp" | LC_ALL=C sort > "$out"; rm "$out.tmp"; wc -l "$out"; md5sum "$out"
