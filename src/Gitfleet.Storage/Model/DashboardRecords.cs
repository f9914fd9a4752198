namespace Gitfleet.Storage.Model;

/// <summary>
/// A device search (the dashboard's search box): every filter given must match. Attribute filters use the
/// attribute index (scope, name, value); the branch is a join on branch members; the rollout state and reason a
/// join on rollout devices.
/// </summary>
public sealed record DeviceSearch
{
    public const int CountLimit = 10_000;

    /// <summary>A device id prefix, or a value of an identity attribute (mac, serial ...).</summary>
    public string? Text { get; init; }

    public string? Status { get; init; }

    public string? Branch { get; init; }

    public string? DeviceType { get; init; }

    public string? Group { get; init; }

    /// <summary>The device's state in its branch's rollout: waiting, scheduled, succeeded, failed, aborted.</summary>
    public string? RolloutState { get; init; }

    /// <summary>A substring of the rollout failure reason (only failed devices have one).</summary>
    public string? Reason { get; init; }

    /// <summary>scope (inventory, identity, tags), name, exact value.</summary>
    public IReadOnlyList<(string Scope, string Name, string Value)> Attributes { get; init; } = [];

    /// <summary>Keyset paging: the page starts after this device id (the last id of the page before).</summary>
    public string? After { get; init; }

    /// <summary>Keyset paging backwards: the page ends before this device id (the first id of the page after).</summary>
    public string? Before { get; init; }

    public int PerPage { get; init; } = 50;

    /// <summary>The exact number of matches when the caller knows it (counted in memory): the store does not count, and picks its plan from it.</summary>
    public long? KnownTotal { get; init; }

    /// <summary>How far each filter's devices are counted (the rarest one drives the page; its first this many + 1 devices are where matches are counted).</summary>
    public int CountUpTo { get; init; } = CountLimit;
}

/// <summary>
/// A page of search results in id order. <see cref="Total"/> is exact unless <see cref="TotalIsLowerBound"/>: then
/// it is the matches among the first <see cref="DeviceSearch.CountUpTo"/> + 1 devices of the rarest filter (so at
/// most that many), and the page says "more than 10,000" or "at least N".
/// </summary>
public sealed record DeviceSearchPage(IReadOnlyList<DeviceRecord> Devices, long Total, bool TotalIsLowerBound, bool HasPrevious, bool HasNext);

/// <summary>One outbound webhook delivery of one event.</summary>
public sealed record NotificationDelivery
{
    public required string Id { get; init; }

    /// <summary>The endpoint's name from the settings (never its URL or secret).</summary>
    public required string Endpoint { get; init; }

    public required string EventType { get; init; }

    /// <summary>The body sent (the event JSON, or the Slack payload).</summary>
    public required string Payload { get; init; }

    /// <summary>pending, delivered, failed (given up).</summary>
    public required string Status { get; init; }

    public int Attempts { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public required DateTimeOffset NextAttemptAt { get; init; }

    public DateTimeOffset? LastAttemptAt { get; init; }

    public int? LastStatusCode { get; init; }

    public string? LastError { get; init; }
}
