namespace Cloudtalk.Benchmarks.Load;

/// <summary>Seeds the data set through the Api (N products with M reviews each), 32 requests at a time.</summary>
public static class Seeder
{
    public static async Task<IReadOnlyList<long>> SeedAsync(CloudtalkClient client, int products, int reviewsPerProduct)
    {
        using var gate = new SemaphoreSlim(32);
        var ids = new long[products];
        await Task.WhenAll(Enumerable.Range(0, products).Select(async number =>
        {
            await gate.WaitAsync();
            try
            {
                ids[number] = await client.CreateProductAsync(number);
                for (var review = 0; review < reviewsPerProduct; review++)
                {
                    await client.CreateReviewAsync(ids[number], 1 + ((number + review) % 5));
                }
            }
            finally
            {
                gate.Release();
            }
        }));
        return ids;
    }
}
