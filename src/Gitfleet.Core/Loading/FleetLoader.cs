using Gitfleet.Core.Diagnostics;
using Gitfleet.Core.Fleet;
using Gitfleet.Core.Repository;
using Gitfleet.Core.Validation;
using Gitfleet.Core.Yaml;

namespace Gitfleet.Core.Loading;

/// <summary>The outcome of loading a fleet repository: the revision (only when there are no errors) and every diagnostic.</summary>
public sealed record FleetLoadResult(FleetRevision? Revision, IReadOnlyList<Diagnostic> Diagnostics)
{
    public bool HasErrors => Diagnostics.Any(d => d.IsError);

    public IEnumerable<Diagnostic> Errors => Diagnostics.Where(d => d.IsError);
}

/// <summary>Options for loading: what the validator may check beyond the files themselves.</summary>
public sealed record FleetLoadOptions
{
    public static readonly FleetLoadOptions Default = new();

    /// <summary>The repository's branches; a subscribed_branch naming none of them is reported.</summary>
    public IReadOnlyCollection<string>? KnownBranches { get; init; }

    /// <summary>What the revision's YAML may hold (depth, aliases, nodes); exceeding it is a diagnostic, never a crash.</summary>
    public YamlLimits Limits { get; init; } = YamlLimits.Default;

    /// <summary>Where template render time limits are read while validating; none: renders are bounded by output and steps.</summary>
    public TimeProvider? Clock { get; init; }

    /// <summary>Stops a load that runs past its time budget (the server's watcher): the load throws <see cref="OperationCanceledException"/>.</summary>
    public CancellationToken CancellationToken { get; init; }
}

/// <summary>Parses and validates a snapshot; the single entry point the CLI, the applier and the server use.</summary>
public static class FleetLoader
{
    public static FleetLoadResult Load(RepositorySnapshot snapshot, FleetLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var diagnostics = new List<Diagnostic>();
        options ??= FleetLoadOptions.Default;
        FleetRevision revision;
        try
        {
            revision = FleetParser.Parse(snapshot, diagnostics, new YamlBudget(options.Limits, options.CancellationToken));
            FleetValidator.Validate(revision, options, diagnostics);
        }
        catch (OperationCanceledException) when (options.CancellationToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // Whatever the input, validate reports instead of crashing.
        catch (Exception e)
#pragma warning restore CA1031
        {
            diagnostics.Add(Diagnostic.Error("internal", null, $"Gitfleet could not read this repository ({e.GetType().Name}: {e.Message}); this is a bug, please report it"));
            return new FleetLoadResult(null, Sort(diagnostics));
        }

        var sorted = Sort(diagnostics);
        return new FleetLoadResult(sorted.Any(d => d.IsError) ? null : revision, sorted);
    }

    private static List<Diagnostic> Sort(List<Diagnostic> diagnostics) =>
        diagnostics
            .Distinct()
            .OrderBy(d => d.Location?.File ?? "", StringComparer.Ordinal)
            .ThenBy(d => d.Location?.Line ?? 0)
            .ThenBy(d => d.Location?.Column ?? 0)
            .ThenBy(d => d.Message, StringComparer.Ordinal)
            .ToList();
}
