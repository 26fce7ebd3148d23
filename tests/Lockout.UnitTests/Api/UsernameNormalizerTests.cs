using Lockout.Api.Services;

namespace Lockout.UnitTests.Api;

public sealed class UsernameNormalizerTests
{
    [Fact]
    public void Usernames_are_normalized_as_aspnet_identity_does()
    {
        Assert.Equal("JOHN", UsernameNormalizer.Normalize("john"));
        Assert.Equal(UsernameNormalizer.Normalize("JoHn"), UsernameNormalizer.Normalize("jOhN"));
    }
}
