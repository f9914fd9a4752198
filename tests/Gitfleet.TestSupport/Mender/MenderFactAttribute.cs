using Xunit;

namespace Gitfleet.TestSupport.Mender;

/// <summary>A test that needs the real Mender tools and root; skipped, with the reason, where they are not available.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class MenderFactAttribute : FactAttribute
{
    public MenderFactAttribute()
    {
        if (MenderClientHarness.Unavailable() is { } reason)
        {
            Skip = reason;
        }
    }
}
