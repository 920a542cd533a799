/**
 * `glassbox team …`: this engine and the team server (issue 19). Each subcommand lives in its own file and
 * exports an adder `(team: Command) => void`; to add one, import it here and append it to
 * {@link TEAM_SUBCOMMANDS}.
 */
import type { Command } from 'commander';
import { addTeamJoin } from './team-join.js';
import { addTeamStatusCommand } from './team-status.js';

/** The subcommands of `glassbox team`, in the order `glassbox team --help` lists them. */
const TEAM_SUBCOMMANDS: ReadonlyArray<(team: Command) => void> = [addTeamJoin, addTeamStatusCommand];

/** Adds the `team` command group and its subcommands to the program. */
export function addTeamCommands(program: Command): void {
  const team = program
    .command('team')
    .description(
      'the team server: join it (config and sign-in) and see how the mirror of your sessions stands',
    );
  for (const add of TEAM_SUBCOMMANDS) add(team);
}
