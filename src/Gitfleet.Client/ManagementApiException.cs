namespace Gitfleet.Client;

/// <summary>
/// A management API call failed: the server's status and its error message (Mender's <c>{"error": ...}</c>), or a
/// connection problem. Messages name the method and path, never the token.
/// </summary>
public sealed class ManagementApiException : Exception
{
    public ManagementApiException(string message, int? statusCode = null, string? serverMessage = null, Exception? inner = null)
        : base(message, inner)
    {
        StatusCode = statusCode;
        ServerMessage = serverMessage;
    }

    public ManagementApiException()
    {
    }

    public ManagementApiException(string message)
        : base(message)
    {
    }

    public ManagementApiException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The HTTP status, or null when no answer came (connection, TLS, timeout).</summary>
    public int? StatusCode { get; }

    public string? ServerMessage { get; }
}
