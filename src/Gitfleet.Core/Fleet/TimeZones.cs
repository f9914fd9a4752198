using System.Collections.Concurrent;

namespace Gitfleet.Core.Fleet;

/// <summary>
/// IANA time zones by id, looked up once (the system's tz database; Debian's <c>tzdata</c>). Windows and blackout
/// days are evaluated in these zones, DST included.
/// </summary>
public static class TimeZones
{
    private static readonly ConcurrentDictionary<string, TimeZoneInfo?> Cache = new(StringComparer.Ordinal);
    private static readonly Lazy<IReadOnlyList<string>> AllIds = new(() => TimeZoneInfo.GetSystemTimeZones().Select(z => z.Id).Order(StringComparer.Ordinal).ToList());

    /// <summary>Every id the system knows (for did-you-mean hints).</summary>
    public static IReadOnlyList<string> Ids => AllIds.Value;

    public static bool TryFind(string id, out TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(id);
        var found = Cache.GetOrAdd(id, static key =>
        {
            if (key.Length == 0 || key.Length > 64)
            {
                return null;
            }

            try
            {
                return TimeZoneInfo.FindSystemTimeZoneById(key);
            }
            catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException or ArgumentException or System.Security.SecurityException)
            {
                return null;
            }
        });
        zone = found ?? TimeZoneInfo.Utc;
        return found is not null;
    }

    /// <summary>The zone of a validated id; an unknown id (a hand-written target) falls back to UTC.</summary>
    public static TimeZoneInfo Find(string id) => TryFind(id, out var zone) ? zone : TimeZoneInfo.Utc;
}
