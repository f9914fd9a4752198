namespace Gitfleet.Bench;

/// <summary>A clock the bench moves by hand, so decisions a minute apart run back to back.</summary>
internal sealed class BenchClock(DateTimeOffset start) : TimeProvider
{
    private long ticks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref ticks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref ticks, by.Ticks);
}
