namespace Gitfleet.Storage.Cluster;

/// <summary>A leader's write was refused because another replica holds the lease with a newer fencing token.</summary>
public sealed class FencedWriteException : Exception
{
    public FencedWriteException(string lease, long token, long? current)
        : base($"this replica no longer leads '{lease}' (its fencing token {token}, the current one {current?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}); the write was refused")
    {
        Lease = lease;
        Token = token;
    }

    public FencedWriteException()
    {
        Lease = "";
    }

    public FencedWriteException(string message)
        : base(message)
    {
        Lease = "";
    }

    public FencedWriteException(string message, Exception inner)
        : base(message, inner)
    {
        Lease = "";
    }

    public string Lease { get; }

    public long Token { get; }
}
