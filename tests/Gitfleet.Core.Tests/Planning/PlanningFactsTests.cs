using Gitfleet.Core.Delivery;
using Gitfleet.Core.Facts;
using Gitfleet.Core.Planning;
using Gitfleet.TestSupport;

namespace Gitfleet.Core.Tests.Planning;

public sealed class PlanningFactsTests
{
    [Fact]
    public void The_projection_keeps_what_plans_and_the_byte_budget_read_and_drops_the_rest()
    {
        var revision = Snapshots.Valid(
            ("inventory.yml", """
                all:
                  children:
                    field:
                      selector:
                        matchLabels: {attributes.site: north}
                      vars: {subscribed_branch: production}
                """),
            ("group_vars/all.yml", """
                os_image:
                  - {device_type: pi4, image_name: pi4-v2}
                """));

        var projection = PlanningFacts.Projection([revision]);

        projection.KeepsAttribute(DeviceFacts.RootfsImageVersionAttribute).ShouldBeTrue();
        projection.KeepsAttribute(DeltaSupport.FormatsAttribute).ShouldBeTrue("the engine prices a device's download by whether it applies deltas");
        projection.KeepsAttribute("site").ShouldBeTrue("a dynamic group selects on it");
        projection.KeepsAttribute("kernel").ShouldBeFalse();
        projection.ConfiguredConfiguration.ShouldBeFalse();
    }
}
