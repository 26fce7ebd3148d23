using System.Net;
using Lockout.Events;

namespace Lockout.UnitTests.Events;

public sealed class ClientSourceTests
{
    [Theory]
    [InlineData("192.0.2.17", "192.0.2.17")]
    [InlineData("::ffff:192.0.2.17", "192.0.2.17")]
    [InlineData("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2::ffff", "2001:db8:1:2::/64")]
    public void An_ipv4_address_is_its_own_source_and_an_ipv6_address_counts_as_its_64(string address, string source)
    {
        Assert.Equal(source, ClientSource.Of(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("198.51.100.1", "198.51.100.1")]
    [InlineData("2001:db8:1:2::9", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2::/64", "2001:db8:1:2::/64")]
    public void An_admin_may_name_a_source_by_an_address_or_its_prefix(string text, string source)
    {
        Assert.True(ClientSource.TryParse(text, out var parsed));
        Assert.Equal(source, parsed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not an address")]
    [InlineData("192.0.2.1/64")]
    [InlineData("2001:db8::/48")]
    public void Anything_else_is_not_a_source(string text)
    {
        Assert.False(ClientSource.TryParse(text, out _));
    }
}
