namespace Gitfleet.Server.Tests.EndToEnd;

/// <summary>Polls a condition of a real, asynchronous system (a mender-client daemon) until it holds or time runs out.</summary>
internal static class Eventually
{
    public static async Task<T> WaitAsync<T>(Func<Task<T>> probe, Func<T, bool> done, string what, TimeSpan? timeout = null, Func<string>? diagnostics = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            var value = await probe();
            if (done(value))
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out waiting for {what}; last value: {value}\n{diagnostics?.Invoke()}");
            }

            await Task.Delay(250);
        }
    }
}
