using System.Text;
using System.Text.Json;
using Gitfleet.Core.Rollouts;
using Gitfleet.Storage.Model;

namespace Gitfleet.Server.Dashboard;

/// <summary>
/// The device search box's language: words separated by spaces, every one must match.
/// <c>status:pending</c>, <c>branch:production</c>, <c>type:pi4-v3-arm64</c>, <c>group:kiosks</c>,
/// <c>rollout:failed</c> (the device's state in its branch's rollout), <c>reason:"health check"</c> (a part of the
/// failure reason), <c>tag:name=value</c>, <c>identity:name=value</c>, <c>name=value</c> (an inventory attribute),
/// and a bare word: a device id prefix or an identity value (a MAC address, a serial; a word whose part before a
/// colon is not a filter name is a bare word). Quotes keep spaces.
/// </summary>
internal static class DeviceSearchText
{
    public static readonly IReadOnlyList<string> Statuses = [Core.Facts.DeviceStatus.Accepted, Core.Facts.DeviceStatus.Pending, Core.Facts.DeviceStatus.Preauthorized, Core.Facts.DeviceStatus.Rejected];
    private static readonly HashSet<string> Filters = new(StringComparer.Ordinal) { "status", "branch", "type", "group", "rollout", "reason", "tag", "identity", "inventory" };

    /// <summary>The names of <see cref="RolloutDeviceState"/> as the API and the store write them (waiting, scheduled ...).</summary>
    public static readonly IReadOnlyList<string> RolloutStates =
        Enum.GetValues<RolloutDeviceState>().Select(state => JsonSerializer.Serialize(state).Trim('"')).ToList();

    /// <summary>At most this many name=value filters in one search (each is a join in the store's query).</summary>
    public const int MaxAttributeFilters = 16;

    /// <summary>The search, or an error saying which word is wrong.</summary>
    public static (DeviceSearch? Search, string? Error) Parse(string? text)
    {
        var search = new DeviceSearch();
        var attributes = new List<(string, string, string)>();
        foreach (var word in Words(text ?? ""))
        {
            var colon = word.IndexOf(':', StringComparison.Ordinal);
            var equals = word.IndexOf('=', StringComparison.Ordinal);
            if (colon > 0 && (equals < 0 || colon < equals) && Filters.Contains(word[..colon].ToLowerInvariant()))
            {
                var (key, value) = (word[..colon].ToLowerInvariant(), word[(colon + 1)..]);
                if (value.Length == 0)
                {
                    return (null, $"'{word}' has no value after the colon");
                }

                switch (key)
                {
                    case "status" when Statuses.Contains(value):
                        search = search with { Status = value };
                        break;
                    case "status":
                        return (null, $"status is one of {string.Join(", ", Statuses)}, not '{value}'");
                    case "branch":
                        search = search with { Branch = value };
                        break;
                    case "type":
                        search = search with { DeviceType = value };
                        break;
                    case "group":
                        search = search with { Group = value };
                        break;
                    case "rollout" when RolloutStates.Contains(value):
                        search = search with { RolloutState = value };
                        break;
                    case "rollout":
                        return (null, $"rollout is one of {string.Join(", ", RolloutStates)}, not '{value}'");
                    case "reason":
                        search = search with { Reason = value };
                        break;
                    case "tag" or "identity" or "inventory" when value.IndexOf('=', StringComparison.Ordinal) is > 0 and var at:
                        attributes.Add((key == "tag" ? AttributeScope.Tags : key, value[..at], value[(at + 1)..]));
                        break;
                    case "tag" or "identity" or "inventory":
                        return (null, $"write {key}:name=value, not '{word}'");
                    default:
                        return (null, $"unknown filter '{key}:'");
                }
            }
            else if (equals > 0)
            {
                attributes.Add((AttributeScope.Inventory, word[..equals], word[(equals + 1)..]));
            }
            else if (search.Text is null)
            {
                search = search with { Text = word };
            }
            else
            {
                return (null, $"only one bare word (a device id prefix or an identity value) is allowed; '{search.Text}' and '{word}' given");
            }
        }

        return attributes.Count > MaxAttributeFilters
            ? (null, $"at most {MaxAttributeFilters} name=value filters in one search ({attributes.Count} given)")
            : (search with { Attributes = attributes }, null);
    }

    private static IEnumerable<string> Words(string text)
    {
        var word = new StringBuilder();
        var quoted = false;
        foreach (var c in text)
        {
            if (c == '"')
            {
                quoted = !quoted;
            }
            else if (char.IsWhiteSpace(c) && !quoted)
            {
                if (word.Length > 0)
                {
                    yield return word.ToString();
                    word.Clear();
                }
            }
            else
            {
                word.Append(c);
            }
        }

        if (word.Length > 0)
        {
            yield return word.ToString();
        }
    }
}
