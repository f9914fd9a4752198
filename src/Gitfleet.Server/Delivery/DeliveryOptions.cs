namespace Gitfleet.Server.Delivery;

/// <summary>How OS images reach devices: delta updates and downloads served by a web server or CDN (docs/artifacts.md).</summary>
public sealed record DeliveryOptions
{
    /// <summary>Offer deltas to devices that announce they apply them (gitfleet_delta_formats), when both images allow it.</summary>
    public bool DeltaUpdates { get; init; } = true;

    /// <summary>
    /// A device whose delta is still being generated is told "nothing now" (204) for at most this long after
    /// generation started; then it gets the full image.
    /// </summary>
    public TimeSpan DeltaWait { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Longest generation of one delta; also the lease after which another server takes a stalled generation over.</summary>
    public TimeSpan DeltaTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>The xdelta3 program.</summary>
    public string DeltaTool { get; init; } = "xdelta3";

    /// <summary>
    /// Downloads from a web server or CDN in front of the artifact directory instead of the server itself: the base
    /// URL under which DATA/artifacts is served (for example https://downloads.example.com/gitfleet). Null: the server serves.
    /// </summary>
    public Uri? DownloadBaseUrl { get; init; }

    /// <summary>The secret shared with nginx's <c>secure_link_md5</c> (required with <see cref="DownloadBaseUrl"/>).</summary>
    public string? DownloadSecret { get; init; }
}
