using Cloudtalk.Api.Products;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Cloudtalk.Api.Reviews;

public sealed class ReviewEntityConfiguration : IEntityTypeConfiguration<Review>
{
    /// <summary>The sequence review ids are drawn from.</summary>
    public const string IdSequence = "review_ids";

    public void Configure(EntityTypeBuilder<Review> builder)
    {
        builder.ToTable("reviews", table => table.HasCheckConstraint("ck_reviews_rating", "rating BETWEEN 1 AND 5"));
        builder.HasKey(review => review.Id);
        // Ids come from a sequence in blocks of 10 (hi/lo): the Api reserves blocks and gives ids out of them before
        // the insert, so each review-created event carries its review's id (ReviewIdBlocks). The column default draws
        // from the same sequence, for rows written by hand (psql, scripts); such a row takes a whole block, so it never
        // collides with the ids the Api has reserved.
        builder.Property(review => review.Id).UseHiLo(IdSequence).HasDefaultValueSql($"nextval('{IdSequence}')");
        builder.Property(review => review.FirstName).HasMaxLength(ReviewRules.NameMaxLength);
        builder.Property(review => review.LastName).HasMaxLength(ReviewRules.NameMaxLength);
        builder.Property(review => review.ReviewText).HasMaxLength(ReviewRules.TextMaxLength);
        builder.Property(review => review.Version).HasColumnName("review_version");

        // The database enforces "a review never outlives its product": the FK rejects a review of a
        // deleted product, and deleting a product deletes its reviews in the same statement.
        builder.HasOne<Product>()
            .WithMany(product => product.Reviews)
            .HasForeignKey(review => review.ProductId)
            .OnDelete(DeleteBehavior.Cascade);

        // Serves a product's review page, newest first, and the FK's cascade lookups.
        builder.HasIndex(review => new { review.ProductId, review.CreatedAt, review.Id })
            .IsDescending(false, true, true)
            .HasDatabaseName("ix_reviews_product_id_created_at_id");
    }
}
