# shellcheck shell=bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Bash completion for nspawn-overlay: verbs, the options of each verb, the names of configured
# containers (from "nspawn-overlay list --no-legend") and base images.

__nspawn_overlay_containers() {
	nspawn-overlay list --no-legend --no-pager 2>/dev/null | awk '{ print $1 }'
}

# Bases of configured children, and the images in machinectl's image directories.
__nspawn_overlay_bases() {
	local dir

	{
		nspawn-overlay list --no-legend --no-pager 2>/dev/null | awk '$2 != "-" { print $2 }'
		for dir in /var/lib/machines /var/lib/container; do
			[[ -d $dir ]] || continue
			find "$dir" -mindepth 1 -maxdepth 1 -type d ! -name '*_up' ! -name '*_work' -printf '%f\n' 2>/dev/null
		done
	} | sort -u
}

_nspawn_overlay() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local verbs='create remove list status fstab verify diff prune restore update rollback shift-base check-base prepare release'
	local global_options='--help --version --json= --no-legend --no-pager'
	local verb='' i options candidates

	for ((i = 1; i < COMP_CWORD; i++)); do
		if [[ ${COMP_WORDS[i]} != -* && ${COMP_WORDS[i - 1]} != = && ${COMP_WORDS[i]} != = ]]; then
			verb=${COMP_WORDS[i]}
			break
		fi
	done

	# Bash splits "--json=pretty" at "=", so the option's name is two words back.
	if [[ $cur == = ]]; then
		prev=${COMP_WORDS[COMP_CWORD - 1]}
		cur=''
	elif [[ $prev == = ]]; then
		prev=${COMP_WORDS[COMP_CWORD - 2]}
	else
		prev=''
	fi

	case $prev in
	--json)
		mapfile -t COMPREPLY < <(compgen -W 'short pretty' -- "$cur")
		return
		;;
	--base)
		mapfile -t COMPREPLY < <(compgen -W "$(__nspawn_overlay_bases)" -- "$cur")
		if [[ $cur == /* ]]; then
			mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -d -- "$cur")
		fi
		return
		;;
	--lower | --upper | --work | --backup)
		mapfile -t COMPREPLY < <(compgen -d -- "$cur")
		return
		;;
	--changes)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return
		;;
	esac

	case $verb in
	create) options='--base= --enable --start --no-reload' ;;
	remove) options='--purge --yes --no-reload' ;;
	list | status | fstab | verify) options='' ;;
	diff) options='--ignore-mtime --lower= --upper= --userxattr --json' ;;
	prune) options='--all --stop --dry-run --ignore-mtime --older-than-base --backup= --changes= --lower= --upper= --work= --userxattr --threads= --json' ;;
	restore) options='--backup= --upper=' ;;
	update) options='--keep=' ;;
	*) options='' ;;
	esac

	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$options $global_options" -- "$cur")
		# An option that takes a value gets no space after its "=".
		if [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *= ]]; then
			compopt -o nospace 2>/dev/null
		fi
		return
	fi

	case $verb in
	'')
		candidates=$verbs
		;;
	remove | status | fstab | verify | diff | prune | restore | prepare | release)
		candidates=$(__nspawn_overlay_containers)
		;;
	update | rollback | shift-base | check-base)
		candidates=$(__nspawn_overlay_bases)
		;;
	*)
		candidates=''
		;;
	esac

	mapfile -t COMPREPLY < <(compgen -W "$candidates" -- "$cur")
}

complete -F _nspawn_overlay nspawn-overlay
