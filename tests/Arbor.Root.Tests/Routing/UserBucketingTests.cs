using Arbor.Root.Routing;

namespace Arbor.Root.Tests.Routing;

public sealed class UserBucketingTests
{
    [Fact]
    public void Position_IsStableForTheSameSaltAndUser()
    {
        Assert.Equal(UserBucketing.Position("exp", "user-42"), UserBucketing.Position("exp", "user-42"));
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.5)]
    [InlineData(0.9)]
    public void IsIn_SelectsAboutTheConfiguredFractionOfUsers(double fraction)
    {
        const int users = 20_000;
        var selected = 0;
        for (var i = 0; i < users; i++)
        {
            if (UserBucketing.IsIn("exp", $"u{i}", fraction))
            {
                selected++;
            }
        }

        // Binomial standard deviation at 20,000 users is at most 0.0036; allow five of them.
        Assert.InRange(selected / (double)users, fraction - 0.018, fraction + 0.018);
    }

    [Fact]
    public void IsIn_DifferentSalts_AssignUsersIndependently()
    {
        const int users = 20_000;
        var both = 0;
        for (var i = 0; i < users; i++)
        {
            if (UserBucketing.IsIn("a", $"u{i}", 0.5) && UserBucketing.IsIn("b", $"u{i}", 0.5))
            {
                both++;
            }
        }

        Assert.InRange(both / (double)users, 0.25 - 0.018, 0.25 + 0.018);
    }

    [Fact]
    public void IsIn_ZeroAndOne_AreExact()
    {
        Assert.False(UserBucketing.IsIn("exp", "u1", 0));
        Assert.True(UserBucketing.IsIn("exp", "u1", 1));
    }
}
