using Cloudtalk.Tests.Infrastructure;

namespace Cloudtalk.Tests.Rating;

/// <summary>
/// A second system with three Rating replicas competing for <c>rating.review-events</c> and two Api replicas
/// (behind the Aspire proxy, competing for <c>api.rating-updated</c>); one system for both, since starting one
/// costs much on a small machine.
/// </summary>
public sealed class ReplicatedRatingFixture : IAsyncLifetime
{
    public const int RatingReplicas = 3;

    public const int ApiReplicas = 2;

    private CloudtalkApp? _app;

    public CloudtalkApp App => _app ?? throw new InvalidOperationException("The system has not started.");

    public async Task InitializeAsync()
    {
        _app = await CloudtalkApp.StartAsync(
            "--Replicas:Rating", RatingReplicas.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--Replicas:Api", ApiReplicas.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await _app.WaitForHealthyReplicasAsync("api", ApiReplicas);
        await _app.WaitForHealthyReplicasAsync("rating", RatingReplicas);
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ReplicatedRatingCollection : ICollectionFixture<ReplicatedRatingFixture>
{
    public const string Name = "Cloudtalk system with 2 Api and 3 Rating replicas";
}
