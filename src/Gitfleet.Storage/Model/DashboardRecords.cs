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

    public int Page { get; init; } = 1;

    public int PerPage { get; init; } = 50;
}

/// <summary>A page of search results; <see cref="Total"/> stops at <see cref="DeviceSearch.CountLimit"/> + 1 (shown as "10,000+").</summary>
public sealed record DeviceSearchPage(IReadOnlyList<DeviceRecord> Devices, long Total)
{
    public bool TotalIsLowerBound => Total > DeviceSearch.CountLimit;
}

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
