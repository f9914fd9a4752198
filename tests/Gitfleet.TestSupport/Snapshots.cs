using Gitfleet.Core.Diagnostics;
using Gitfleet.Core.Fleet;
using Gitfleet.Core.Loading;
using Gitfleet.Core.Repository;

namespace Gitfleet.TestSupport;

/// <summary>In-memory fleet repositories for tests of the pure core (no git needed).</summary>
public static class Snapshots
{
    public static RepositorySnapshot Of(params (string Path, string Content)[] files) =>
        new("test", new CommitInfo(new string('a', 40), "Tester <t@example.com>", "test commit", DateTimeOffset.UnixEpoch),
            files.ToDictionary(f => f.Path, f => f.Content, StringComparer.Ordinal));

    public static FleetLoadResult Load(params (string Path, string Content)[] files) => FleetLoader.Load(Of(files));

    /// <summary>Loads and asserts there are no errors.</summary>
    public static FleetRevision Valid(params (string Path, string Content)[] files)
    {
        var result = Load(files);
        if (result.Revision is null)
        {
            throw new InvalidOperationException("expected a valid repository, got:\n" + string.Join('\n', result.Diagnostics));
        }

        return result.Revision;
    }

    /// <summary>The diagnostics as compilers print them, for exact assertions.</summary>
    public static IReadOnlyList<string> Lines(this FleetLoadResult result) =>
        result.Diagnostics.Select(d => d.ToString()).ToList();

    public static Diagnostic Single(this FleetLoadResult result, string code)
    {
        var matching = result.Diagnostics.Where(d => d.Code == code).ToList();
        if (matching.Count != 1)
        {
            throw new InvalidOperationException($"expected one '{code}' diagnostic, got {matching.Count}:\n" + string.Join('\n', result.Diagnostics));
        }

        return matching[0];
    }
}
