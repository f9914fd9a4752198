namespace Gitfleet.Server.Api;

/// <summary>A request the server refuses, with the HTTP status and a message for the caller (never a secret).</summary>
public sealed class ApiException : Exception
{
    public ApiException(int statusCode, string message)
        : base(message)
    {
        StatusCode = statusCode;
    }

    public ApiException()
    {
    }

    public ApiException(string message)
        : base(message)
    {
    }

    public ApiException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public int StatusCode { get; } = 400;

    /// <summary>For a 429: when to try again (sent as Retry-After, in seconds).</summary>
    public string? RetryAfterSeconds { get; init; }

    public static ApiException BadRequest(string message) => new(400, message);

    public static ApiException Unauthorized(string message = "unauthorized") => new(401, message);

    public static ApiException Forbidden(string message) => new(403, message);

    public static ApiException NotFound(string message) => new(404, message);

    public static ApiException Conflict(string message) => new(409, message);

    public static ApiException Unprocessable(string message) => new(422, message);

    public static ApiException TooManyRequests(Throttling.ThrottleRefusal refusal)
    {
        ArgumentNullException.ThrowIfNull(refusal);
        return new(429, $"{refusal.Reason}; try again in {refusal.RetryAfterSeconds} s") { RetryAfterSeconds = refusal.RetryAfterSeconds };
    }
}
