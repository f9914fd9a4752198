namespace Gitfleet.TestSupport.Device;

/// <summary>Waits for a condition produced by another process (a daemon's request, a socket appearing).</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public static class Wait
{
    public static async Task UntilAsync(Func<bool> condition, TimeSpan limit, Func<string> describeFailure)
    {
        var deadline = DateTime.UtcNow + limit;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException(describeFailure());
            }

            await Task.Delay(50);
        }
    }
}
