-- +goose Up
-- One forming team a leader and variant: a double tap on Start makes one team
-- (core/teambuy.Service.Start returns the one forming).
CREATE UNIQUE INDEX teams_leader_forming ON teams (leader_id, variant_id) WHERE status = 'forming';

-- +goose Down
DROP INDEX teams_leader_forming;
