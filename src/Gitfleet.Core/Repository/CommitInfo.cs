namespace Gitfleet.Core.Repository;

/// <summary>The commit a fleet revision was read from: what every scheduled change is traced back to.</summary>
public sealed record CommitInfo(string Sha, string Author, string Subject, DateTimeOffset Timestamp)
{
    public string ShortSha => Sha.Length > 12 ? Sha[..12] : Sha;
}
