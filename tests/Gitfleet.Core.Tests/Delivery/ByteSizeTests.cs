using Gitfleet.Core.Delivery;

namespace Gitfleet.Core.Tests.Delivery;

public sealed class ByteSizeTests
{
    [Theory]
    [InlineData("123", 123L)]
    [InlineData("500MB", 500_000_000L)]
    [InlineData("50 GB", 50_000_000_000L)]
    [InlineData("2GiB", 2L << 30)]
    [InlineData("1.5TB", 1_500_000_000_000L)]
    [InlineData("64 kib", 65_536L)]
    [InlineData("7B", 7L)]
    public void Parses_decimal_and_binary_units(string text, long bytes)
    {
        ByteSize.TryParse(text, out var parsed).ShouldBeTrue();
        parsed.ShouldBe(bytes);
    }

    [Theory]
    [InlineData("")]
    [InlineData("lots")]
    [InlineData("-5MB")]
    [InlineData("5 XB")]
    [InlineData("1e3MB")]
    public void Refuses_what_is_not_a_byte_count(string text) => ByteSize.TryParse(text, out _).ShouldBeFalse();

    [Theory]
    [InlineData(812L, "812 B")]
    [InlineData(4_200_000L, "4.20 MB")]
    [InlineData(313_766_912L, "314 MB")]
    [InlineData(25_300_000_000_000L, "25.3 TB")]
    public void Formats_with_three_significant_digits(long bytes, string text) => ByteSize.Format(bytes).ShouldBe(text);
}
