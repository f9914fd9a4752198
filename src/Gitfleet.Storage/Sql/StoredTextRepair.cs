using System.Data.Common;
using System.Globalization;
using System.Text;
using Dapper;

namespace Gitfleet.Storage.Sql;

/// <summary>
/// Mends JSON text that was stored before the server checked text at its edge: a <c>\uD800</c>–<c>\uDFFF</c> escape
/// that is not half of a pair, a <c>\u0000</c> escape, or a lone surrogate character becomes U+FFFD (the replacement
/// character), so every reader can turn the value into a string and every writer can emit it as valid JSON. Valid
/// text, escaped surrogate pairs included, is left exactly as it was.
/// </summary>
public static class StoredTextRepair
{
    private const string Replacement = "\\ufffd";

    /// <summary>The columns that kept device- or client-sent JSON text as it arrived: (table, key columns, column).</summary>
    private static readonly (string Table, string[] Keys, string Column)[] Columns =
    [
        ("attributes", ["device_id", "scope", "name"], "value_json"),
        ("configurations", ["device_id"], "configured_json"),
        ("configurations", ["device_id"], "reported_json"),
    ];

    /// <summary>The JSON text with invalid text replaced; the same instance when nothing needed mending.</summary>
    public static string RepairJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        if (!json.AsSpan().Contains("\\u", StringComparison.Ordinal) && json.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF') < 0)
        {
            return json; // The common case, found with two vectorised scans.
        }

        StringBuilder? repaired = null;
        var copied = 0;
        for (var i = 0; i < json.Length; i++)
        {
            var c = json[i];
            int length;
            if (c == '\\' && i + 1 < json.Length)
            {
                if (json[i + 1] != 'u' || !TryEscape(json, i, out var code))
                {
                    i++; // Any other escape (\" \\ \n ...) is two characters and always valid.
                    continue;
                }

                if (char.IsHighSurrogate(code) && TryEscape(json, i + 6, out var low) && char.IsLowSurrogate(low))
                {
                    i += 11;
                    continue;
                }

                if (!char.IsSurrogate(code) && code != '\0')
                {
                    i += 5;
                    continue;
                }

                length = 6;
            }
            else if (char.IsHighSurrogate(c) && i + 1 < json.Length && char.IsLowSurrogate(json[i + 1]))
            {
                i++;
                continue;
            }
            else if (char.IsSurrogate(c))
            {
                length = 1;
            }
            else
            {
                continue;
            }

            repaired ??= new StringBuilder(json.Length);
            repaired.Append(json, copied, i - copied).Append(length == 1 ? "\ufffd" : Replacement);
            copied = i + length;
            i += length - 1;
        }

        return repaired is null ? json : repaired.Append(json, copied, json.Length - copied).ToString();
    }

    /// <summary>Rewrites every stored value that needs mending, in the caller's transaction; returns how many changed.</summary>
    public static async Task<int> RepairStoreAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var changed = 0;
        foreach (var (table, keys, column) in Columns)
        {
            var keyList = string.Join(", ", keys);
            var rows = await connection.QueryAsync(new CommandDefinition(
                $"SELECT {keyList}, {column} AS value FROM {table} WHERE {column} LIKE '%\\u%' ESCAPE '!'",
                transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            foreach (IDictionary<string, object?> row in rows)
            {
                if (row["value"] is not string value || RepairJson(value) is var repaired && ReferenceEquals(repaired, value))
                {
                    continue;
                }

                var parameters = new DynamicParameters();
                parameters.Add("value", repaired);
                for (var k = 0; k < keys.Length; k++)
                {
                    parameters.Add("k" + k.ToString(CultureInfo.InvariantCulture), row[keys[k]]);
                }

                var where = string.Join(" AND ", keys.Select((key, k) => $"{key} = @k{k.ToString(CultureInfo.InvariantCulture)}"));
                changed += await connection.ExecuteAsync(new CommandDefinition(
                    $"UPDATE {table} SET {column} = @value WHERE {where}", parameters, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            }
        }

        return changed;
    }

    private static bool TryEscape(string json, int at, out char code)
    {
        code = '\0';
        if (at + 5 >= json.Length || json[at] != '\\' || json[at + 1] != 'u'
            || !ushort.TryParse(json.AsSpan(at + 2, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value))
        {
            return false;
        }

        code = (char)value;
        return true;
    }
}
