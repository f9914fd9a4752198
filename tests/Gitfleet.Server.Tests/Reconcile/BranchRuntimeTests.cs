using Gitfleet.Core.Rollouts;
using Gitfleet.Server.Reconcile;

namespace Gitfleet.Server.Tests.Reconcile;

/// <summary>
/// What a status reader (outside the engine's lock) may do to a branch's runtime while the engine decides: build the
/// first status, never replacing one the engine stored. (The lock around the transition times it records is not
/// tested: a stress test of a plain dictionary did not fail reliably on two cores.)
/// </summary>
public sealed class BranchRuntimeTests
{
    private static readonly DateTimeOffset Start = DateTimeOffset.UnixEpoch;

    [Fact]
    public void The_first_status_is_built_once_and_kept()
    {
        var runtime = new BranchRuntime("production");
        var first = BranchStatusBuilder.Build(runtime, null, null, Start);

        runtime.PublishFirst(_ => first).ShouldBeSameAs(first);
        runtime.PublishFirst(_ => throw new InvalidOperationException("built again")).ShouldBeSameAs(first);
        runtime.Status.ShouldBeSameAs(first);
    }

    [Fact]
    public void A_status_the_engine_stores_while_a_reader_builds_the_first_one_is_not_replaced()
    {
        var runtime = new BranchRuntime("production");
        var engines = BranchStatusBuilder.Build(runtime, null, null, Start.AddMinutes(1));
        var readers = BranchStatusBuilder.Build(runtime, null, null, Start);

        var seen = runtime.PublishFirst(r =>
        {
            r.Status = engines; // the engine's decision finishes while the reader builds
            return readers;
        });

        seen.ShouldBeSameAs(engines);
        runtime.Status.ShouldBeSameAs(engines);
    }
}
