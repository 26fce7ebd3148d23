using System.IO.Hashing;
using System.Text;

namespace Lockout.Api.Outbox;

/// <summary>
/// Which outbox buckets a relay drains. Each bucket goes to the live relay that ranks highest for it (rendezvous
/// hashing): the relays of all API instances share the buckets without a coordinator, and when one stops its
/// heartbeat its buckets move to the others, which read them from the start.
/// </summary>
/// <remarks>
/// While the relays' views of who is alive differ (for up to one heartbeat after an instance joins or dies), two of
/// them may drain the same bucket. Kafka then gets an event twice; the writer records each event id once, and
/// versions keep a user's status right whatever order the copies arrive in.
/// </remarks>
public static class RelayMembership
{
    public static int[] OwnedBuckets(string self, IReadOnlyCollection<string> alive, int buckets)
    {
        var relays = alive.Contains(self) ? alive : [.. alive, self];
        return Enumerable.Range(0, buckets)
            .Where(bucket => relays.MaxBy(relay => Rank(relay, bucket)) == self)
            .ToArray();
    }

    private static ulong Rank(string relay, int bucket) => XxHash3.HashToUInt64(Encoding.UTF8.GetBytes($"{relay}/{bucket}"));
}
