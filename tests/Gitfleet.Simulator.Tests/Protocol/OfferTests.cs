using Gitfleet.Simulator.Behaviour;

namespace Gitfleet.Simulator.Tests.Protocol;

public sealed class OfferTests
{
    [Fact]
    public void An_offer_needs_id_artifact_name_source_and_device_types()
    {
        var offer = Offer.Parse("""{"id":"d1","artifact":{"id":"a1","artifact_name":"os-2","source":{"uri":"https://s/x","expire":"2026-01-01T00:00:00Z"},"device_types_compatible":["pi4"]}}""");
        offer.ShouldBe(new Offer("d1", "a1", "os-2", "https://s/x", offer!.DeviceTypes));
        offer.DeviceTypes.ShouldBe(["pi4"]);

        Offer.Parse("""{"id":"d1","artifact":{"artifact_name":"os-2","source":{"uri":"https://s/x"}}}""").ShouldBeNull();
        Offer.Parse("""{"artifact":{"artifact_name":"os-2","source":{"uri":"u"},"device_types_compatible":[]}}""").ShouldBeNull();
        Offer.Parse("not json").ShouldBeNull();
        Offer.Parse(null).ShouldBeNull();
    }
}
