namespace Gitfleet.Core.Templates;

/// <summary>
/// Bounds on one render of a configuration template for one device (docs/fleet-repository.md, limits). A template is
/// code anyone who can commit may write: loops over lists can multiply, so each render is bounded in output, in
/// steps (loop iterations and writes) and in time. Exceeding one fails that device's render (a render-failed problem
/// for the devices concerned; `validate` reports it for a representative device), never the process.
/// </summary>
public sealed record TemplateLimits
{
    public static readonly TemplateLimits Default = new();

    /// <summary>Characters one device's rendered configuration may have (64 KiB; mender-configure files are a few hundred bytes).</summary>
    public int MaxOutputChars { get; init; } = 64 * 1024;

    /// <summary>Loop iterations and writes one render may take: a deterministic bound on its time.</summary>
    public long MaxSteps { get; init; } = 1_000_000;

    /// <summary>Wall-clock time one render may take, read from the engine's <see cref="TimeProvider"/> (when it has one).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How deeply blocks ({{#each}}, {{#if}} ...) and subexpressions may nest in a template's source.</summary>
    public int MaxNesting { get; init; } = 64;
}

/// <summary>A render that went past one of its <see cref="TemplateLimits"/>; the message says which.</summary>
public sealed class TemplateLimitException : Exception
{
    public TemplateLimitException(string message)
        : base(message)
    {
    }

    public TemplateLimitException()
    {
    }

    public TemplateLimitException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
