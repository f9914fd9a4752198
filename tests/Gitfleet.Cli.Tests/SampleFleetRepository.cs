using Gitfleet.Cli.Commands;
using Gitfleet.TestSupport;

namespace Gitfleet.Cli.Tests;

/// <summary>The sample fleet committed with fixed dates, so commit SHAs (and golden outputs) are reproducible.</summary>
internal static class SampleFleetRepository
{
    public static GitTestRepository Create()
    {
        var repo = new GitTestRepository();
        foreach (var (path, content) in SampleFleet.Files())
        {
            repo.Write(path, content);
        }

        repo.Commit("Sample fleet");
        repo.Git("branch", "canary");
        repo.Git("branch", "production");
        return repo;
    }
}
