using System.Diagnostics;

namespace Gitfleet.TestSupport;

/// <summary>
/// Waits on a real, asynchronous system (a server, client daemons, nginx): polls a condition every 250 ms until it
/// holds; past the limit, fails with what was awaited and the diagnostics the caller gathers at that moment.
/// </summary>
public static class Poll
{
    public static async Task UntilAsync(string what, Func<Task<bool>> condition, TimeSpan limit, Func<Task<string>> diagnostics)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(diagnostics);
        var clock = Stopwatch.StartNew();
        while (!await condition().ConfigureAwait(false))
        {
            if (clock.Elapsed > limit)
            {
                throw new TimeoutException($"not within {limit.TotalSeconds:F0} s: {what}\n{await diagnostics().ConfigureAwait(false)}");
            }

            await Task.Delay(250).ConfigureAwait(false);
        }
    }
}
