using Gitfleet.Server.Hosting;

namespace Gitfleet.Server.Dashboard;

/// <summary>
/// A link to a commit in the git host, when the watched repository is an http(s) URL (GitHub, GitLab, Gitea and
/// Forgejo all answer <c>REPO/commit/SHA</c>); null for local paths and SSH remotes. Credentials in the URL are dropped.
/// </summary>
internal sealed class CommitLinks(ServerOptions options)
{
    private readonly string? prefix = Prefix(options.FleetRepository);

    public string? For(string? sha) => prefix is null || string.IsNullOrEmpty(sha) ? null : prefix + Uri.EscapeDataString(sha);

    private static string? Prefix(string? repository)
    {
        if (repository is null || !Uri.TryCreate(repository, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http"))
        {
            return null;
        }

        var path = uri.AbsolutePath.TrimEnd('/');
        if (path.EndsWith(".git", StringComparison.Ordinal))
        {
            path = path[..^4];
        }

        return new UriBuilder(uri.Scheme, uri.Host, uri.Port, path).Uri.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/commit/";
    }
}
