namespace Gitfleet.Server.Domain;

/// <summary>What kind of refusal a service or the rollout engine reports; the API edge maps each to one status code.</summary>
public enum DomainError
{
    /// <summary>The request is malformed or breaks a rule (400).</summary>
    Invalid,

    /// <summary>The thing asked about does not exist (404).</summary>
    NotFound,

    /// <summary>The thing exists but its state does not allow the change (409).</summary>
    Conflict,

    /// <summary>The caller may not do this (403).</summary>
    Forbidden,

    /// <summary>Well-formed, but cannot be carried out with what the server holds (422).</summary>
    Unsatisfiable,

    /// <summary>The input is larger than the server accepts (413).</summary>
    TooLarge,

    /// <summary>Accepted but not carried out yet, by a part that is busy or away; the caller may check again (503).</summary>
    NotYet,
}

/// <summary>
/// A refusal by a service, the device service or the rollout engine: a <see cref="DomainError"/> and a message for
/// the caller (never a secret). No HTTP below the API: <c>ApiMiddleware</c> maps it to a status code in one place.
/// </summary>
public sealed class DomainException : Exception
{
    public DomainException(DomainError error, string message)
        : base(message)
    {
        Error = error;
    }

    public DomainException()
    {
    }

    public DomainException(string message)
        : base(message)
    {
    }

    public DomainException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public DomainError Error { get; }

    public static DomainException Invalid(string message) => new(DomainError.Invalid, message);

    public static DomainException NotFound(string message) => new(DomainError.NotFound, message);

    public static DomainException Conflict(string message) => new(DomainError.Conflict, message);

    public static DomainException Forbidden(string message) => new(DomainError.Forbidden, message);

    public static DomainException Unsatisfiable(string message) => new(DomainError.Unsatisfiable, message);

    public static DomainException TooLarge(string message) => new(DomainError.TooLarge, message);

    public static DomainException NotYet(string message) => new(DomainError.NotYet, message);
}
