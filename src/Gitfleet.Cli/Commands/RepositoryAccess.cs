using Gitfleet.Core.Fleet;
using Gitfleet.Core.Loading;
using Gitfleet.Core.Repository;
using Gitfleet.Git;

namespace Gitfleet.Cli.Commands;

/// <summary>Opens the fleet repository a command names and loads revisions from it, turning git failures into CLI errors.</summary>
internal sealed class RepositoryAccess
{
    private RepositoryAccess(FleetRepository repository, IReadOnlyList<string> branches)
    {
        Repository = repository;
        Branches = branches;
    }

    public FleetRepository Repository { get; }

    public IReadOnlyList<string> Branches { get; }

    public static async Task<RepositoryAccess> OpenAsync(CliConsole console, string source, string? cacheDir, CancellationToken cancellationToken)
    {
        var location = FleetRepository.IsRemote(source) ? source : console.ResolvePath(source);
        var cache = cacheDir ?? FleetRepository.DefaultCacheRoot(console.Environment);
        try
        {
            var repository = await FleetRepository.OpenAsync(location, cache, cancellationToken).ConfigureAwait(false);
            var branches = await repository.ListBranchesAsync(cancellationToken).ConfigureAwait(false);
            return new RepositoryAccess(repository, branches);
        }
        catch (GitCommandException e)
        {
            throw new CliException(e.Message, e);
        }
    }

    public async Task<RepositorySnapshot> ReadAsync(string reference, CancellationToken cancellationToken)
    {
        try
        {
            return await Repository.ReadSnapshotAsync(reference, cancellationToken).ConfigureAwait(false);
        }
        catch (GitCommandException e)
        {
            throw new CliException(e.Message, e);
        }
    }

    public FleetLoadResult Load(RepositorySnapshot snapshot) =>
        FleetLoader.Load(snapshot, new FleetLoadOptions { KnownBranches = Branches.ToHashSet(StringComparer.Ordinal) });

    /// <summary>Loads a ref and fails with the repository's errors when it does not validate.</summary>
    /// <param name="onRead">Called once the files are read from git, before they are parsed (for timings).</param>
    public async Task<FleetRevision> LoadValidAsync(string reference, CancellationToken cancellationToken, Action<string>? onRead = null)
    {
        var snapshot = await ReadAsync(reference, cancellationToken).ConfigureAwait(false);
        onRead?.Invoke("read branch from git");
        var result = Load(snapshot);
        if (result.Revision is null)
        {
            var errors = result.Errors.ToList();
            var shown = string.Join(Environment.NewLine, errors.Take(10).Select(e => "  " + e));
            var more = errors.Count > 10 ? $"{Environment.NewLine}  ... and {errors.Count - 10} more (run 'gitfleet validate --ref {reference}')" : "";
            throw new CliException($"'{reference}' does not validate:{Environment.NewLine}{shown}{more}");
        }

        return result.Revision;
    }
}
