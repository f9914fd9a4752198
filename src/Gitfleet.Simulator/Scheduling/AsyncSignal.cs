namespace Gitfleet.Simulator.Scheduling;

/// <summary>An auto-reset signal for one waiter: Set wakes the waiter, or the next WaitAsync returns at once.</summary>
internal sealed class AsyncSignal
{
    private readonly Lock gate = new();
    private TaskCompletionSource? waiter;
    private bool set;

    public void Set()
    {
        TaskCompletionSource? wake;
        lock (gate)
        {
            wake = waiter;
            waiter = null;
            set = wake is null;
        }

        wake?.TrySetResult();
    }

    public Task WaitAsync()
    {
        lock (gate)
        {
            if (set)
            {
                set = false;
                return Task.CompletedTask;
            }

            waiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return waiter.Task;
        }
    }
}
