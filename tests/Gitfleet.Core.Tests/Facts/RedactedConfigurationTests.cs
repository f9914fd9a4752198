using Gitfleet.Core.Facts;
using Gitfleet.Core.Planning;
using Gitfleet.Core.Reconcile;
using Gitfleet.Core.Resolution;

namespace Gitfleet.Core.Tests.Facts;

/// <summary>A server shows secret configuration values as *** with the real configuration's checksum; planning still compares exactly.</summary>
public sealed class RedactedConfigurationTests
{
    private static readonly Dictionary<string, string> Real = new() { ["message"] = "hello", ["app_token"] = "s3cr3t" };

    private static readonly RenderedConfiguration Desired = new(Real, new HashSet<string> { "app_token" });

    private static DeviceFacts Facts(string secret) => new()
    {
        Id = "d1",
        ReportedConfiguration = new Dictionary<string, string> { ["message"] = "hello", ["app_token"] = "***" },
        ReportedConfigurationChecksum = ConfigurationChecksum.Compute(new Dictionary<string, string> { ["message"] = "hello", ["app_token"] = secret }),
    };

    [Fact]
    public void A_device_running_the_desired_secret_is_unchanged()
    {
        RedactedConfiguration.Resolve(Facts("s3cr3t"), Desired).ShouldBe(Real);
        TargetComparison.CompareConfiguration(Facts("s3cr3t"), Desired, withOsUpdate: false).Kind.ShouldBe(ActionKind.None);
    }

    [Fact]
    public void A_device_running_another_secret_is_updated_without_showing_either()
    {
        var action = TargetComparison.CompareConfiguration(Facts("old-secret"), Desired, withOsUpdate: false);
        action.Kind.ShouldBe(ActionKind.Update);
        var change = action.Changes.ShouldHaveSingleItem();
        change.Key.ShouldBe("app_token");
        (change.Old, change.New, change.Secret).ShouldBe(("***", "***", true));
    }

    [Fact]
    public void Facts_without_a_checksum_are_taken_as_they_are()
    {
        var facts = Facts("s3cr3t") with { ReportedConfigurationChecksum = null };
        RedactedConfiguration.Resolve(facts, Desired).ShouldBeSameAs(facts.ReportedConfiguration);
    }

    [Fact]
    public void A_device_running_the_desired_secret_beside_other_changed_values_is_reconstructed()
    {
        var running = new Dictionary<string, string> { ["message"] = "old", ["app_token"] = "s3cr3t" };
        var facts = new DeviceFacts
        {
            Id = "d1",
            ReportedConfiguration = new Dictionary<string, string> { ["message"] = "old", ["app_token"] = "***" },
            ReportedConfigurationChecksum = ConfigurationChecksum.Compute(running),
        };

        RedactedConfiguration.Resolve(facts, Desired).ShouldBe(running);
        var change = TargetComparison.CompareConfiguration(facts, Desired, withOsUpdate: false).Changes.ShouldHaveSingleItem();
        (change.Key, change.Old, change.New).ShouldBe(("message", "old", "hello"), "the secret is proven to be the desired one: only the message changes");
    }

    [Fact]
    public void A_device_reporting_fewer_keys_than_desired_is_reconstructed_when_its_checksum_says_so()
    {
        var running = new Dictionary<string, string> { ["app_token"] = "s3cr3t" };
        var facts = new DeviceFacts
        {
            Id = "d1",
            ReportedConfiguration = new Dictionary<string, string> { ["app_token"] = "***" },
            ReportedConfigurationChecksum = ConfigurationChecksum.Compute(running),
        };

        RedactedConfiguration.Resolve(facts, Desired).ShouldBe(running);
    }
}
