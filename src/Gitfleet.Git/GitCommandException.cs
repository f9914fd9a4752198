namespace Gitfleet.Git;

/// <summary>A git command failed; the message says which and what git said (never a credential).</summary>
public sealed class GitCommandException : Exception
{
    public GitCommandException(string message)
        : base(message)
    {
    }

    public GitCommandException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public GitCommandException()
    {
    }
}
