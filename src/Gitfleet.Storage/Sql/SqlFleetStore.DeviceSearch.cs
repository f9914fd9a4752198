using System.Data.Common;
using System.Globalization;
using Dapper;
using Gitfleet.Storage.Model;

namespace Gitfleet.Storage.Sql;

public abstract partial class SqlFleetStore
{
    private const string SearchColumns =
        "d.id, d.status, d.identity_json, d.identity_key, d.device_type, d.artifact_name, d.group_name, d.created_ms, d.updated_ms, d.last_checkin_ms";

    /// <remarks>
    /// Every filter can list its devices in id order from an index (the status, type and group indexes of devices,
    /// branch members by branch, rollout devices by state, attributes by scope, name and value; the bare word's id
    /// range and identity values). One of them drives the page: its index is walked from the cursor in id order, each
    /// device looked up and the other filters probed on it, until the page is full. The driver is the filter with
    /// the fewest devices (each counted in its index, up to <see cref="DeviceSearch.CountUpTo"/> + 1), so a rare
    /// filter is never found by walking a common one. Pages are keyset pages (after or before a device id, never an
    /// OFFSET): the thousandth page costs what the first does. The number of matches is
    /// <see cref="DeviceSearch.KnownTotal"/> when the caller knows it, else counted among the driver's first
    /// <see cref="DeviceSearch.CountUpTo"/> + 1 devices: exact when the driver has no more, a lower bound otherwise.
    /// So a request reads at most a few times <see cref="DeviceSearch.CountUpTo"/> index entries, never every device.
    /// </remarks>
    public async Task<DeviceSearchPage> SearchDevicesAsync(DeviceSearch search, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(search);
        var parameters = new DynamicParameters();
        var parts = await SearchPartsAsync(search, parameters, cancellationToken).ConfigureAwait(false);
        var perPage = Math.Clamp(search.PerPage, 1, 500);
        var countUpTo = Math.Max(search.CountUpTo, 1);
        var backwards = search.After is null && search.Before is not null;
        parameters.Add("cursor", search.After ?? search.Before);
        parameters.Add("limit", perPage + 1);
        parameters.Add("countLimit", countUpTo + 1);
        return await ReadAsync(async connection =>
        {
            // Counted first: the driver (the filter listing the fewest devices) and how many it lists, up to the bound.
            var (driver, listed) = parts.Count switch
            {
                0 => (AllDevices, (long?)search.KnownTotal),
                1 => (parts[0], null),
                _ when search.KnownTotal > countUpTo => (parts[0], search.KnownTotal), // every filter lists more: any drives
                _ => await FewestAsync(connection, parts, parameters, cancellationToken).ConfigureAwait(false),
            };
            var probes = parts.Where(p => !ReferenceEquals(p, driver)).Select(p => p.Probe).ToList();
            var total = search.KnownTotal ?? await connection.ExecuteScalarAsync<long>(Command(
                $"SELECT COUNT(*) FROM {driver.From(probes, null, countOnly: true)}", parameters, null, cancellationToken)).ConfigureAwait(false);
            // With one filter the count is the driver's own; with more, the matches among the driver's first devices.
            listed ??= probes.Count == 0 ? total : null;
            var cursor = search.After is not null ? ">" : backwards ? "<" : null;
            var rows = (await connection.QueryAsync<DeviceRow>(Command(
                $"SELECT {driver.Distinct}x.{driver.Id} AS sort_key, {SearchColumns} FROM {driver.From(probes, cursor, countOnly: false)} ORDER BY sort_key {(backwards ? "DESC" : "ASC")} LIMIT @limit",
                parameters, null, cancellationToken)).ConfigureAwait(false)).AsList();
            var more = rows.Count > perPage;
            var devices = rows.Take(perPage).Select(r => ToDevice(r)!).ToList();
            if (backwards)
            {
                devices.Reverse();
            }

            return new DeviceSearchPage(devices, total, search.KnownTotal is null && (listed ?? countUpTo + 1) > countUpTo,
                HasPrevious: backwards ? more : search.After is not null, HasNext: backwards || more);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// One filter: its condition on a device <c>d</c> (<see cref="Probe"/>) and the index that lists its devices:
    /// rows of <see cref="Table"/> aliased <c>x</c> matching <see cref="Where"/>, whose <see cref="Id"/> column is the
    /// device id. <see cref="Distinct"/> when one device can have several such rows (a rollout row per branch, an
    /// inventory attribute also provided by an artifact).
    /// </summary>
    private sealed record SearchPart(string Table, string Where, string Id, string Probe, bool MayRepeat = false)
    {
        public string Distinct => MayRepeat ? "DISTINCT " : "";

        /// <summary>
        /// The driver's rows joined to their devices (CROSS JOIN: the driver's index is the outer loop, in id order)
        /// with the other filters probed; from the cursor when given. A count reads only the driver's first rows (up
        /// to the count's bound), so a rare combination of common filters does not walk every device.
        /// </summary>
        public string From(IReadOnlyList<string> probes, string? cursor, bool countOnly)
        {
            var conditions = new List<string>(probes.Count + 3) { $"d.id = x.{Id}" };
            conditions.AddRange(probes);
            if (countOnly)
            {
                return $"(SELECT {Distinct}x.{Id} FROM {Table} x WHERE {Where} ORDER BY x.{Id} LIMIT @countLimit) x CROSS JOIN devices d WHERE {string.Join(" AND ", conditions)}";
            }

            conditions.Add(Where);
            if (cursor is not null)
            {
                conditions.Add($"x.{Id} {cursor} @cursor");
            }

            return $"{Table} x CROSS JOIN devices d WHERE {string.Join(" AND ", conditions)}";
        }
    }

    /// <summary>No filter: every device in id order.</summary>
    private static readonly SearchPart AllDevices = new("devices", "1 = 1", "id", "1 = 1");

    /// <summary>The search's filters as parts, and their parameters.</summary>
    private async Task<List<SearchPart>> SearchPartsAsync(DeviceSearch search, DynamicParameters parameters, CancellationToken cancellationToken)
    {
        var parts = new List<SearchPart>();
        if (search.Text is { Length: > 0 } text)
        {
            var identityNames = await IdentityNamesAsync(cancellationToken).ConfigureAwait(false);
            var byIdentity = identityNames.Count == 0 ? ""
                : $" UNION SELECT device_id FROM attributes WHERE scope = 'identity' AND name {InList("@identityNames")} AND value_json = @textJson";
            var matching = $"SELECT id AS device_id FROM devices WHERE id >= @text AND id < @textEnd{byIdentity}";
            parts.Add(new SearchPart($"({matching})", "1 = 1", "device_id", $"d.id IN ({matching})"));
            parameters.Add("text", text);
            parameters.Add("textEnd", text + "\uffff");
            parameters.Add("identityNames", identityNames);
            parameters.Add("textJson", Json(System.Text.Json.JsonSerializer.Serialize(text)));
        }

        for (var i = 0; i < search.Attributes.Count; i++)
        {
            var (scope, name, value) = search.Attributes[i];
            var p = "a" + i.ToString(CultureInfo.InvariantCulture);
            var inventory = scope == AttributeScope.Inventory;
            var where = (inventory ? $"x.scope IN (@{p}s, '{AttributeScope.Provides}')" : $"x.scope = @{p}s") + $" AND x.name = @{p}n AND x.value_json = @{p}v";
            parts.Add(new SearchPart("attributes", where, "device_id", $"EXISTS (SELECT 1 FROM attributes x WHERE x.device_id = d.id AND {where})", MayRepeat: inventory));
            parameters.Add(p + "s", scope);
            parameters.Add(p + "n", name);
            parameters.Add(p + "v", Json(System.Text.Json.JsonSerializer.Serialize(value)));
        }

        if (search.RolloutState is not null || search.Reason is not null)
        {
            var conditions = new List<string>();
            if (search.RolloutState is { } state)
            {
                conditions.Add("x.state = @state");
                parameters.Add("state", state);
            }

            if (search.Reason is { } reason)
            {
                // IS NOT NULL lets the engines use the index of failed rows (only they have a reason).
                conditions.Add("x.last_error IS NOT NULL AND x.last_error LIKE @reason ESCAPE '\\'");
                parameters.Add("reason", "%" + reason.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal) + "%");
            }

            var where = string.Join(" AND ", conditions);
            parts.Add(new SearchPart("rollout_devices", where, "device_id", $"EXISTS (SELECT 1 FROM rollout_devices x WHERE x.device_id = d.id AND {where})", MayRepeat: true));
        }

        if (search.Group is { } group)
        {
            parts.Add(DeviceColumn("group_name", "group", group, parameters));
        }

        if (search.DeviceType is { } type)
        {
            parts.Add(DeviceColumn("device_type", "type", type, parameters));
        }

        if (search.Branch is { } branch)
        {
            parts.Add(new SearchPart("branch_members", "x.branch = @branch", "device_id", "EXISTS (SELECT 1 FROM branch_members x WHERE x.device_id = d.id AND x.branch = @branch)"));
            parameters.Add("branch", branch);
        }

        if (search.Status is { } status)
        {
            parts.Add(DeviceColumn("status", "status", status, parameters));
        }

        return parts;

        static SearchPart DeviceColumn(string column, string parameter, string value, DynamicParameters parameters)
        {
            parameters.Add(parameter, value);
            return new SearchPart("devices", $"x.{column} = @{parameter}", "id", $"d.{column} = @{parameter}");
        }
    }

    /// <summary>The part whose index lists the fewest devices (each counted up to the count's bound; the first of equals), and that number.</summary>
    private static async Task<(SearchPart, long?)> FewestAsync(DbConnection connection, IReadOnlyList<SearchPart> parts, DynamicParameters parameters, CancellationToken cancellationToken)
    {
        var (fewest, least) = (parts[0], long.MaxValue);
        foreach (var part in parts)
        {
            var count = await connection.ExecuteScalarAsync<long>(Command(
                $"SELECT COUNT(*) FROM (SELECT {part.Distinct}x.{part.Id} FROM {part.Table} x WHERE {part.Where} LIMIT @countLimit) listed", parameters, null, cancellationToken)).ConfigureAwait(false);
            if (count < least)
            {
                (fewest, least) = (part, count);
            }
        }

        return (fewest, least);
    }

    /// <summary>
    /// The names of identity attributes (mac, serial ...), at most 50: a loose index scan, one index seek per name,
    /// instead of a DISTINCT over every device's identity rows.
    /// </summary>
    private async Task<IReadOnlyList<string>> IdentityNamesAsync(CancellationToken cancellationToken)
    {
        var names = new List<string>();
        await ReadAsync(async connection =>
        {
            var previous = "";
            while (names.Count < 50 && await connection.ExecuteScalarAsync<string?>(Command(
                "SELECT MIN(name) FROM attributes WHERE scope = 'identity' AND name > @previous", new { previous }, null, cancellationToken)).ConfigureAwait(false) is { } name)
            {
                names.Add(name);
                previous = name;
            }

            return names;
        }, cancellationToken).ConfigureAwait(false);
        return names;
    }
}
