namespace Gitfleet.Client;

/// <summary>How to reach and authenticate to a Mender-compatible management API (Gitfleet's or Mender's).</summary>
public sealed record ManagementClientOptions
{
    public required Uri ServerUrl { get; init; }

    /// <summary>A user token, personal access token or Gitfleet's static admin token. Takes precedence over a password.</summary>
    public string? Token { get; init; }

    public string? User { get; init; }

    public string? Password { get; init; }

    /// <summary>A PEM file with the server's certificate or the CA that signed it (Gitfleet's generated server.crt).</summary>
    public string? CaCertificatePath { get; init; }

    /// <summary>Skip server certificate checks entirely. Only for throwaway test setups.</summary>
    public bool Insecure { get; init; }

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(100);

    /// <summary>Page size for listing devices and deployments on a Mender server.</summary>
    public int PageSize { get; init; } = 500;
}
