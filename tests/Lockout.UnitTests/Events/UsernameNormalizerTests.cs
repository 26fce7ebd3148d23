using Lockout.Events;

namespace Lockout.UnitTests.Events;

public sealed class UsernameNormalizerTests
{
    [Fact]
    public void Usernames_are_normalized_as_aspnet_identity_does()
    {
        Assert.Equal("JOHN", UsernameNormalizer.Normalize("john"));
        Assert.Equal(UsernameNormalizer.Normalize("JoHn"), UsernameNormalizer.Normalize("jOhN"));
        Assert.Equal("ÉCOLE", UsernameNormalizer.Normalize("e\u0301cole"));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("jo\uFFFEhn", "noncharacters")]
    [InlineData("jo\u0000hn", "control")]
    [InlineData("jo\u0085hn", "control")]
    [InlineData("jo\u2029hn", "separators")]
    [InlineData("jo\u0378hn", "unassigned")]
    public void A_name_normalization_cannot_take_is_refused_with_the_reason(string username, string reasonMentions)
    {
        Assert.False(UsernameNormalizer.TryNormalize(username, out var normalized, out var problem));
        Assert.Null(normalized);
        Assert.Contains(reasonMentions, problem, StringComparison.OrdinalIgnoreCase);
        Assert.Throws<ArgumentException>(() => UsernameNormalizer.Normalize(username));
    }

    [Fact]
    public void A_name_with_an_unpaired_surrogate_is_refused()
    {
        // Built in code: attribute data would be re-encoded on its way to the test, and lose the lone halves.
        foreach (var surrogate in new[] { '\uD800', '\uDC00' })
        {
            Assert.False(UsernameNormalizer.TryNormalize($"jo{surrogate}hn", out _, out var problem));
            Assert.Contains("unpaired surrogate", problem, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_name_that_grows_past_the_limit_when_normalized_is_refused_and_one_at_the_limit_is_not()
    {
        // U+0958 is excluded from composition: NFC writes it as two code points.
        Assert.False(UsernameNormalizer.TryNormalize(new string('\u0958', 129), out _, out var problem));
        Assert.Contains("once normalized", problem, StringComparison.Ordinal);
        Assert.True(UsernameNormalizer.TryNormalize(new string('\u0958', 128), out var normalized, out _));
        Assert.Equal(256, normalized.Length);
    }

    [Fact]
    public void Only_a_name_in_its_normalized_form_counts_as_normalized()
    {
        Assert.True(UsernameNormalizer.IsNormalized("JOHN"));
        Assert.False(UsernameNormalizer.IsNormalized("john"));
        Assert.False(UsernameNormalizer.IsNormalized("JO\u0000HN"));
    }
}
